// Time to data per page: from navigation to the first data on screen, kept on window for the browser test to read
// (tests/test_web_e2e.py records it; nothing asserts it).
window.__gaoxinTimings = window.__gaoxinTimings || {}
let started = performance.now()

export function navigationStarted() { started = performance.now() }

export function dataShown(page) {
  const ms = Math.round(performance.now() - started)
  if (window.__gaoxinTimings[page] === undefined) window.__gaoxinTimings[page] = ms
  console.info(`[gaoxin] time-to-data ${page} ${ms} ms`)
}
