// Tile-grid positions of China's provincial units, keyed by GB/T 2260 two-digit code: one square each at its
// approximate place (a non-geographic map, /work/shared/domain.md: no boundary map without an approved map number).
// Used when /overview does not send its own rows and columns.
export const TILES = {
  23: ['黑龙江', 0, 7], 65: ['新疆', 1, 1], 15: ['内蒙古', 1, 5], 22: ['吉林', 1, 7],
  62: ['甘肃', 2, 2], 64: ['宁夏', 2, 3], 14: ['山西', 2, 4], 11: ['北京', 2, 5], 21: ['辽宁', 2, 7],
  63: ['青海', 3, 1], 61: ['陕西', 3, 3], 13: ['河北', 3, 4], 12: ['天津', 3, 5], 37: ['山东', 3, 6],
  54: ['西藏', 4, 1], 51: ['四川', 4, 2], 50: ['重庆', 4, 3], 41: ['河南', 4, 4], 34: ['安徽', 4, 5], 32: ['江苏', 4, 6],
  53: ['云南', 5, 2], 52: ['贵州', 5, 3], 42: ['湖北', 5, 4], 36: ['江西', 5, 5], 33: ['浙江', 5, 6], 31: ['上海', 5, 7],
  45: ['广西', 6, 3], 43: ['湖南', 6, 4], 44: ['广东', 6, 5], 35: ['福建', 6, 6], 71: ['台湾', 6, 7],
  46: ['海南', 7, 3], 82: ['澳门', 7, 5], 81: ['香港', 7, 6],
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
