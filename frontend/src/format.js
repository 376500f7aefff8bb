// Chinese number formats: separators, 万/亿 for large amounts, "—" for every missing value (never NaN).
import { lang } from './i18n.js'

export const DASH = '—'

export function missing(v) {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v))
}

export function num(v, digits = 2) {
  if (missing(v)) return DASH
  const n = Number(v)
  if (!Number.isFinite(n)) return DASH
  return n.toLocaleString(lang.value === 'en' ? 'en-US' : 'zh-CN', {
    maximumFractionDigits: digits, minimumFractionDigits: 0,
  })
}

export function int(v) {
  return num(v, 0)
}

export function pct(v, digits = 1, ratio = true) {
  if (missing(v)) return DASH
  return `${num(ratio ? Number(v) * 100 : Number(v), digits)}%`
}

// an amount in 万元 → "1,234.5 万元" or "12.35 亿元" when ≥ 1 亿; in English millions or billions of yuan
export function money(wan, digits = 2) {
  if (missing(wan)) return DASH
  const n = Number(wan)
  if (lang.value === 'en') return Math.abs(n) >= 100000 ? `${num(n / 100000, digits)} bn yuan` : `${num(n / 100, digits)} m yuan`
  if (Math.abs(n) >= 10000) return `${num(n / 10000, digits)} 亿元`
  return `${num(n, digits)} 万元`
}

// units as the API sends them (Chinese) → English words when the page is in English
const UNITS_EN = { 个: '', 家: 'firms', 亿元: '100M yuan', 万元: '10k yuan', 千元: 'k yuan', 元: 'yuan', 万人: '10k persons', 人: 'persons',
  分: 'pts', 件: 'items', 项: 'items', 比例: 'ratio', 人年: 'person-years' }
export function unitName(u) {
  if (missing(u)) return ''
  if (lang.value !== 'en') return u
  return u in UNITS_EN ? UNITS_EN[u] : String(u).replace(/万元/g, '10k yuan').replace(/亿元/g, '100M yuan').replace(/千元/g, 'k yuan').replace(/人/g, 'persons').replace(/件/g, 'items').replace(/家/g, 'firms').replace(/个/g, '')
}

export function signed(v, digits = 0) {
  if (missing(v)) return DASH
  const n = Number(v)
  return (n > 0 ? '+' : '') + num(n, digits)
}

// a value in its unit; a ratio (比例) shows as a percentage, its difference in percentage points
export function withUnit(v, unit, digits = 2, difference = false) {
  if (missing(v)) return DASH
  if (unit === '比例' || unit === 'ratio') {
    const s = num(Number(v) * 100, 1)
    return difference ? `${s} ${lang.value === 'en' ? 'pp' : '个百分点'}` : `${s}%`
  }
  return unit ? `${num(v, digits)} ${unitName(unit)}`.trim() : num(v, digits)
}

// zone types of the 2021 system: the API's code, its Chinese name when sent
const TYPES = { world_leading: ['世界领先科技园区', 'World-leading'], world_influence: ['具有世界影响力的高科技园区', 'World-influential'],
  innovative_featured: ['创新型特色园区', 'Innovative featured'] }
export function typeName(code, zh) {
  if (missing(code)) return DASH
  const known = TYPES[code]
  if (lang.value === 'en') return known ? known[1] : code
  return zh || (known ? known[0] : code)
}

const LEVELS = { praise: ['表扬', 'praise'], talk: ['约谈', 'talk'], interview: ['约谈', 'interview'], notice: ['通报', 'notice'],
  warning: ['预警', 'warning'], exit: ['退出建议', 'exit'] }
export function levelName(l) {
  if (missing(l)) return DASH
  const k = LEVELS[l]
  return k ? (lang.value === 'en' ? k[1] : k[0]) : String(l)
}
