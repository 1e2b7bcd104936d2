import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/errors.ts
var UsageError = class extends Error {
  name = "UsageError";
};

export {
  UsageError
};
