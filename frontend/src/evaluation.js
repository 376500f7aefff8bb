// Which evaluation a page shows: ?evaluation= in the URL, else the latest of the national framework (from /meta).
import { api } from './api.js'

let metaPromise = null
export function meta() {
  if (!metaPromise) metaPromise = api('/meta').catch((e) => { metaPromise = null; throw e })
  return metaPromise
}

export async function defaultEvaluation(routeQuery) {
  if (routeQuery && routeQuery.evaluation) return Number(routeQuery.evaluation)
  const m = await meta()
  const evs = (m && m.evaluations) || []
  const nat = evs.find((e) => e.framework_id === 'national-2021') || evs[0]
  return nat ? nat.id : null
}
