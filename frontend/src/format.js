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

// an amount in 万元 → "1,234.5 万元" or "12.35 亿元" when ≥ 1 亿
export function money(wan, digits = 2) {
  if (missing(wan)) return DASH
  const n = Number(wan)
  if (Math.abs(n) >= 10000) return `${num(n / 10000, digits)} 亿元`
  return `${num(n, digits)} 万元`
}

export function signed(v, digits = 0) {
  if (missing(v)) return DASH
  const n = Number(v)
  return (n > 0 ? '+' : '') + num(n, digits)
}

export function withUnit(v, unit, digits = 2) {
  if (missing(v)) return DASH
  return unit ? `${num(v, digits)} ${unit}` : num(v, digits)
}
