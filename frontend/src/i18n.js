// Language: Chinese first, English on a switch. t('中文', 'English') keeps both texts beside each other in the
// page code, so no key table can drift from the wording; the choice is remembered in localStorage.
import { ref } from 'vue'

export const lang = ref(localStorage.getItem('gaoxin.lang') === 'en' ? 'en' : 'zh')

export function setLang(l) {
  lang.value = l === 'en' ? 'en' : 'zh'
  localStorage.setItem('gaoxin.lang', lang.value)
  document.documentElement.lang = lang.value === 'en' ? 'en' : 'zh-CN'
}

export function t(zh, en) {
  return lang.value === 'en' ? en : zh
}

// a record's name in the current language: name_zh / name_en, label_zh / label_en, message_zh / message_en
export function tr(obj, base = 'name') {
  if (!obj) return '—'
  const zh = obj[`${base}_zh`] ?? obj[base] ?? obj.label ?? obj.name
  const en = obj[`${base}_en`] ?? zh
  return (lang.value === 'en' ? en : zh) ?? '—'
}
