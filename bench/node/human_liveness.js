// Anti-spoofing ("antispoof", score `real`) and liveness ("liveness", score `live`) of @vladmandic/human
// on still JPEG photos, with the TF.js wasm backend (or cpu). Bench only: the packages are installed
// outside the project (see docs/faces_models.md), and their folder is given by HUMAN_NODE_MODULES.
//
//   HUMAN_NODE_MODULES=/tmp/fmodels/node/node_modules node bench/node/human_liveness.js [--backend cpu] a.jpg b.jpg ...
//
// Prints one JSON line per photo: {file, faces, real, live, box, ms} (scores of the largest face).
const path = require('path');
const fs = require('fs');

const modules = process.env.HUMAN_NODE_MODULES || path.join(process.cwd(), 'node_modules');
const need = (name) => require(path.join(modules, name));

// Node's fetch has no file: scheme; the models are read from the package folder, nothing from a network.
const netFetch = globalThis.fetch;
globalThis.fetch = async (url, opts) => {
  const u = String(url && url.url ? url.url : url);
  if (u.startsWith('file://')) return new Response(fs.readFileSync(new URL(u)));
  return netFetch(url, opts);
};

async function main() {
  const args = process.argv.slice(2);
  let backend = 'wasm';
  if (args[0] === '--backend') { backend = args[1]; args.splice(0, 2); }
  const tf = need('@tensorflow/tfjs-core');
  need('@tensorflow/tfjs-converter');
  const jpeg = need('jpeg-js');
  let H;
  if (backend === 'wasm') {
    const wasm = need('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(modules, '@tensorflow/tfjs-backend-wasm/dist/'));
    H = need('@vladmandic/human/dist/human.node-wasm.js');
  } else {
    need('@tensorflow/tfjs-backend-cpu');
    H = need('@vladmandic/human/dist/human.node-wasm.js');
  }
  const modelDir = path.join(modules, '@vladmandic/human/models');
  const human = new H.Human({
    backend,
    modelBasePath: `file://${modelDir}/`,
    wasmPath: `file://${path.join(modules, '@tensorflow/tfjs-backend-wasm/dist')}/`,
    debug: false,
    async: false,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 5, minConfidence: 0.3, return: false },
      mesh: { enabled: true }, iris: { enabled: false }, description: { enabled: false },
      emotion: { enabled: false }, antispoof: { enabled: true }, liveness: { enabled: true },
    },
    body: { enabled: false }, hand: { enabled: false }, object: { enabled: false },
    gesture: { enabled: false }, segmentation: { enabled: false }, filter: { enabled: false },
  });
  await human.load();
  await human.warmup();
  for (const file of args) {
    const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
    const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    const t0 = performance.now();
    const res = await human.detect(tensor);
    const ms = performance.now() - t0;
    tf.dispose(tensor);
    const faces = res.face.slice().sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3]);
    const f = faces[0];
    console.log(JSON.stringify({
      file, faces: faces.length, real: f ? f.real : null, live: f ? f.live : null,
      box: f ? f.box : null, ms: Math.round(ms), backend: tf.getBackend(),
    }));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
