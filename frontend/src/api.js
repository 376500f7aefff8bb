// The one client of /api/v1: JSON in and out, the session cookie, the CSRF header on every state-changing request,
// and errors carried as {code, message_zh, message_en} so a page can show them in the user's language.
import { reactive } from 'vue'

export const session = reactive({ user: null, csrf: null, checked: false })

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {}
    super(e.message_en || `HTTP ${status}`)
    this.status = status
    this.code = e.code || 'http_error'
    this.message_zh = e.message_zh || `请求失败（${status}）`
    this.message_en = e.message_en || `request failed (${status})`
    this.detail = e.detail
  }
}

export function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== '') q.set(k, v)
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

export async function api(path, { method = 'GET', body, params, form } = {}) {
  const headers = { Accept: 'application/json' }
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf
  let payload
  if (form) payload = form
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  const res = await fetch(`/api/v1${path}${query(params)}`, { method, headers, body: payload, credentials: 'same-origin' })
  const text = await res.text()
  let data = null
  try { data = text ? JSON.parse(text) : null } catch { data = null }
  if (!res.ok) {
    if (res.status === 401 && path !== '/auth/login') { session.user = null }
    throw new ApiError(res.status, data)
  }
  return data
}

// the API routes this server has (from its OpenAPI schema): a page whose routes are missing stays out of the menu
export const available = reactive({ paths: null })
export async function loadAvailable() {
  if (available.paths) return
  try {
    const r = await fetch('/api/v1/openapi.json', { credentials: 'same-origin' })
    available.paths = new Set(Object.keys((await r.json()).paths || {}))
  } catch {
    available.paths = null // unknown: show every page, each says what is missing
  }
}
// a path's parameters match any name: '/jobs/{id}' matches '/api/v1/jobs/{job_id}'
const shape = (p) => p.replace(/\{[^}]*\}/g, '{}')
export const hasApi = (...paths) => {
  if (!available.paths) return true
  const have = new Set([...available.paths].map(shape))
  return paths.every((p) => have.has(shape(`/api/v1${p}`)))
}

export async function checkSession() {
  try {
    const me = await api('/auth/me')
    session.user = me.user
    session.csrf = me.csrf_token
  } catch {
    session.user = null
  }
  session.checked = true
}

export async function login(username, password) {
  const r = await api('/auth/login', { method: 'POST', body: { username, password } })
  session.user = r.user
  session.csrf = r.csrf_token
  return r
}

export async function logout() {
  try { await api('/auth/logout', { method: 'POST' }) } finally { session.user = null; session.csrf = null }
}

// upload with progress (fetch has no upload progress): XMLHttpRequest, same CSRF header and error shape
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/api/v1${path}`)
    if (session.csrf) xhr.setRequestHeader('X-CSRF-Token', session.csrf)
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total) }
    xhr.onload = () => {
      let data = null
      try { data = JSON.parse(xhr.responseText) } catch { data = null }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data)
      else reject(new ApiError(xhr.status, data))
    }
    xhr.onerror = () => reject(new ApiError(0, null))
    xhr.send(form)
  })
}

// follow a job until done or failed; onUpdate gets every status
export async function followJob(id, onUpdate, intervalMs = 400) {
  for (;;) {
    const job = await api(`/jobs/${encodeURIComponent(id)}`)
    onUpdate(job)
    if (job.state === 'done' || job.state === 'failed') return job
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

// roles allowed to see enterprise rows (docs/api.md); the server decides, the menu only hides what would 403
export const ENTERPRISE_ROLES = ['admin', 'national', 'province', 'zone']
export const hasRole = (...roles) => !!session.user && roles.includes(session.user.role)
