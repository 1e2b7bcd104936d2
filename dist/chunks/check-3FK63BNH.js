import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  RULE_METAS,
  check,
  configInForce,
  render,
  runCheck
} from "./chunk-AURSEZ35.js";
import "./chunk-XYKW3ZLU.js";
import "./chunk-XNG3DQZ7.js";
import "./chunk-FDGYIFXX.js";
export {
  RULE_METAS,
  check,
  configInForce,
  render,
  runCheck
};
