// History-mode routes (the server falls back to index.html for every non-/api path, api/static.py).
// `menu` marks the pages in the navigation; `roles` limits who sees a page (the API decides what they may read).
import { createRouter, createWebHistory } from 'vue-router'
import { session, checkSession, loadAvailable, hasApi, ENTERPRISE_ROLES } from './api.js'
import { navigationStarted } from './timing.js'

const ALL = ['admin', 'national', 'province', 'zone', 'viewer']
export const routes = [
  { path: '/login', name: 'login', component: () => import('./pages/Login.vue'), meta: { public: true } },
  { path: '/', name: 'overview', component: () => import('./pages/Overview.vue'),
    meta: { menu: true, zh: '总览', en: 'Overview', roles: ALL, needs: ['/evaluations/{eid}/ranking'] } },
  { path: '/zones/:zone', name: 'profile', component: () => import('./pages/Profile.vue'),
    meta: { zh: '园区画像', en: 'Zone profile', roles: ALL } },
  { path: '/zones', name: 'zones', component: () => import('./pages/Zones.vue'),
    meta: { menu: true, zh: '园区画像', en: 'Zone profile', roles: ALL, needs: ['/zones/{zone}/profile'] } },
  { path: '/enterprises', name: 'enterprises', component: () => import('./pages/Enterprises.vue'),
    meta: { menu: true, zh: '企业', en: 'Enterprises', roles: ENTERPRISE_ROLES, needs: ['/enterprises'] } },
  { path: '/enterprises/:code', name: 'enterprise', component: () => import('./pages/Enterprise.vue'),
    meta: { zh: '企业', en: 'Enterprise', roles: ENTERPRISE_ROLES } },
  { path: '/industry', name: 'industry', component: () => import('./pages/Industry.vue'),
    meta: { menu: true, zh: '产业', en: 'Industry', roles: [...ALL, 'bank'], needs: ['/points'] } },
  { path: '/monitoring', name: 'monitoring', component: () => import('./pages/Monitoring.vue'),
    meta: { menu: true, zh: '监测', en: 'Monitoring', roles: ALL, needs: ['/monitoring'] } },
  { path: '/data', name: 'data', component: () => import('./pages/Data.vue'),
    meta: { menu: true, zh: '数据', en: 'Data', roles: ENTERPRISE_ROLES, needs: ['/snapshots', '/uploads'] } },
  { path: '/admin', name: 'admin', component: () => import('./pages/Admin.vue'),
    meta: { menu: true, zh: '管理', en: 'Admin', roles: ['admin'], needs: ['/users', '/audit'] } },
  { path: '/:rest(.*)*', name: 'notfound', component: () => import('./pages/NotFound.vue'), meta: { roles: [...ALL, 'bank'] } },
]

// a page is shown when the user's role may open it and the server has the routes it reads
export const pageOpen = (r) => !!session.user && (!r.meta.roles || r.meta.roles.includes(session.user.role)) && hasApi(...(r.meta.needs || []))

export const router = createRouter({ history: createWebHistory(), routes })

// the page a role lands on: the bank role's only view is the 积分贷 list
export const home = () => (session.user && session.user.role === 'bank' ? '/industry' : '/')

router.beforeEach(async (to) => {
  navigationStarted()
  if (!session.checked) await Promise.all([checkSession(), loadAvailable()])
  if (to.meta.public) return session.user && to.name === 'login' ? home() : true
  if (!session.user) return { name: 'login', query: { next: to.fullPath } }
  if (!pageOpen(to)) return to.path === home() ? true : home()
  return true
})
