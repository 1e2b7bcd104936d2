import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  UsageError
} from "./chunk-XYKW3ZLU.js";
import "./chunk-FDGYIFXX.js";
export {
  UsageError
};
