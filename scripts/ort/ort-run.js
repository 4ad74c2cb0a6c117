#!/usr/bin/env node
// Runs an ONNX model with ONNX Runtime (the npm package onnxruntime-node) on .npy inputs and writes its outputs
// as .npy: the reference gearc's real-model tests and benchmarks compare against.
//
// usage: node ort-run.js MODEL.onnx OUT_DIR [--threads=N] [--loop=N] name=input.npy ...
//   writes OUT_DIR/<output name>.npy for every output; with --loop=N also prints {"latency_ms": [...]} (N runs).
// The package is found through NODE_PATH or GEARC_ORT_DIR (scripts/install-ort.sh installs it).
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dirs = [process.env.GEARC_ORT_DIR, path.join(__dirname, 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, 'node_modules', 'onnxruntime-node');
    if (fs.existsSync(p)) return require(p);
    const q = path.join(d, 'onnxruntime-node');
    if (fs.existsSync(q)) return require(q);
  }
  return require('onnxruntime-node');
}

const dtypes = { '<f4': 'float32', '<f8': 'float64', '<i8': 'int64', '<i4': 'int32', '|b1': 'bool', '|u1': 'uint8', '|i1': 'int8' };
const arrays = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array, bool: Uint8Array, uint8: Uint8Array, int8: Int8Array };

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = b.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order is not supported`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s.length).map(Number);
  const type = dtypes[descr];
  if (!type) throw new Error(`${file}: dtype ${descr} is not supported`);
  const bytes = b.subarray(hstart + hlen);
  const A = arrays[type];
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  let data = new A(copy.buffer, 0, copy.length / A.BYTES_PER_ELEMENT);
  if (type === 'bool') data = Uint8Array.from(data);
  return { type, shape, data };
}

function writeNpy(file, type, shape, data) {
  const descr = Object.keys(dtypes).find(k => dtypes[k] === type);
  if (!descr) throw new Error(`output dtype ${type} cannot be written as .npy`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const h = Buffer.alloc(10);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = 1; h[7] = 0;
  h.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([h, Buffer.from(header, 'latin1'), body]));
}

(async () => {
  const args = process.argv.slice(2);
  if (args.length < 2) {
    console.error('usage: node ort-run.js MODEL.onnx OUT_DIR [--threads=N] [--loop=N] name=input.npy ...');
    process.exit(2);
  }
  const [model, outDir, ...rest] = args;
  let threads = 0, loop = 0;
  const feeds = {};
  const ort = loadOrt();
  for (const a of rest) {
    if (a.startsWith('--threads=')) threads = Number(a.slice(10));
    else if (a.startsWith('--loop=')) loop = Number(a.slice(7));
    else {
      const eq = a.indexOf('=');
      const t = readNpy(a.slice(eq + 1));
      feeds[a.slice(0, eq)] = new ort.Tensor(t.type, t.data, t.shape);
    }
  }
  const opts = { graphOptimizationLevel: 'all' };
  if (threads > 0) { opts.intraOpNumThreads = threads; opts.interOpNumThreads = 1; }
  const session = await ort.InferenceSession.create(model, opts);
  const out = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = out[name];
    writeNpy(path.join(outDir, name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.npy'), t.type, t.dims, t.data);
  }
  if (loop > 0) {
    const ms = [];
    for (let i = 0; i < loop; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log(JSON.stringify({ latency_ms: ms }));
  }
})().catch(e => { console.error(`ort-run: ${e.message}`); process.exit(1); });
