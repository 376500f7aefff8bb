// Tile-grid positions of China's provincial units, keyed by GB/T 2260 two-digit code: one square each at its
// approximate place (a non-geographic map, /work/shared/domain.md: no boundary map without an approved map number).
// Used when /overview does not send its own rows and columns. [name, row, col, ISO 3166-2:CN abbreviation]
export const TILES = {
  23: ['黑龙江', 0, 7, 'HL'], 65: ['新疆', 1, 1, 'XJ'], 15: ['内蒙古', 1, 5, 'NM'], 22: ['吉林', 1, 7, 'JL'],
  62: ['甘肃', 2, 2, 'GS'], 64: ['宁夏', 2, 3, 'NX'], 14: ['山西', 2, 4, 'SX'], 11: ['北京', 2, 5, 'BJ'], 21: ['辽宁', 2, 7, 'LN'],
  63: ['青海', 3, 1, 'QH'], 61: ['陕西', 3, 3, 'SN'], 13: ['河北', 3, 4, 'HE'], 12: ['天津', 3, 5, 'TJ'], 37: ['山东', 3, 6, 'SD'],
  54: ['西藏', 4, 1, 'XZ'], 51: ['四川', 4, 2, 'SC'], 50: ['重庆', 4, 3, 'CQ'], 41: ['河南', 4, 4, 'HA'], 34: ['安徽', 4, 5, 'AH'], 32: ['江苏', 4, 6, 'JS'],
  53: ['云南', 5, 2, 'YN'], 52: ['贵州', 5, 3, 'GZ'], 42: ['湖北', 5, 4, 'HB'], 36: ['江西', 5, 5, 'JX'], 33: ['浙江', 5, 6, 'ZJ'], 31: ['上海', 5, 7, 'SH'],
  45: ['广西', 6, 3, 'GX'], 43: ['湖南', 6, 4, 'HN'], 44: ['广东', 6, 5, 'GD'], 35: ['福建', 6, 6, 'FJ'], 71: ['台湾', 6, 7, 'TW'],
  46: ['海南', 7, 3, 'HI'], 82: ['澳门', 7, 5, 'MO'], 81: ['香港', 7, 6, 'HK'],
}

// tiles from ranking rows: zones and mean score per province
export function tilesFromRows(rows) {
  const acc = {}
  for (const r of rows || []) {
    const c = String(r.province_code || '').slice(0, 2)
    if (!acc[c]) acc[c] = { n: 0, sum: 0, scored: 0 }
    acc[c].n += 1
    if (typeof r.score === 'number' && Number.isFinite(r.score)) { acc[c].sum += r.score; acc[c].scored += 1 }
  }
  return Object.entries(TILES).map(([code, [name, row, col]]) => {
    const a = acc[code]
    return { code, name, row, col, zones: a ? a.n : 0, mean_score: a && a.scored ? a.sum / a.scored : null }
  })
}
