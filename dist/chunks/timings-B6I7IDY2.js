import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  addTime,
  timed,
  timedAsync,
  timings
} from "./chunk-XNG3DQZ7.js";
import "./chunk-FDGYIFXX.js";
export {
  addTime,
  timed,
  timedAsync,
  timings
};
