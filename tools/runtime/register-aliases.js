// Resolves the workspace aliases (@tongban/<lib>) of compiled code in dist/ to the compiled libs,
// the runtime twin of the `paths` in tsconfig.base.json. Loaded with `node -r`.
const Module = require('module');
const path = require('path');

const dist = path.resolve(__dirname, '../../dist');
const original = Module._resolveFilename;

Module._resolveFilename = function resolve(request, parent, ...rest) {
  const match = /^@tongban\/([a-z-]+)$/.exec(request);
  if (match) request = path.join(dist, 'libs', match[1], 'src', 'index.js');
  return original.call(this, request, parent, ...rest);
};
