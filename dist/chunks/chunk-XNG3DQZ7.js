import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/timings.ts
import { performance } from "node:perf_hooks";
var spent = /* @__PURE__ */ new Map();
function addTime(phase, ms) {
  spent.set(phase, (spent.get(phase) ?? 0) + ms);
}
function timed(phase, fn) {
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    addTime(phase, performance.now() - t0);
  }
}
async function timedAsync(phase, p) {
  const t0 = performance.now();
  try {
    return await p();
  } finally {
    addTime(phase, performance.now() - t0);
  }
}
function timings() {
  return Object.fromEntries([...spent].map(([k, v]) => [k, Math.round(v)]));
}

export {
  addTime,
  timed,
  timedAsync,
  timings
};
