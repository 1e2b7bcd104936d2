import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  RULE_METAS,
  check,
  configInForce,
  render,
  runCheck
} from "./chunk-5VWF7Y25.js";
import "./chunk-LC4ICV72.js";
export {
  RULE_METAS,
  check,
  configInForce,
  render,
  runCheck
};
