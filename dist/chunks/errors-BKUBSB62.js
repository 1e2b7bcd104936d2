import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  UsageError
} from "./chunk-LC4ICV72.js";
export {
  UsageError
};
