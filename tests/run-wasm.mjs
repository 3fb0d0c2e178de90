// SPDX-License-Identifier: MPL-2.0
//
// run-wasm.mjs MODULE [ARG...] - run a wasm32 test program under node, as
// tests/runner.sh does for every test of a wasm32 build.
//
// Two kinds of module:
//
//  - A WASI program (it imports wasi_snapshot_preview1; built for
//    wasm32-wasi): run as a command with node:wasi, with ARGs as its
//    arguments, the environment, and the host's / as its /.  Paths must be
//    absolute: WASI resolves relative ones from /, not from the current
//    directory.  The exit status is the program's.
//
//  - A program without a C library (wasm32-unknown-none): it exports
//    wee_test_main(), which returns the exit status, and may import these
//    functions from "env" (tests/test-nolibc.c declares them):
//      wee_test_write(fd, ptr, len)       write bytes to stdout (1) or stderr (2)
//      wee_test_arg_count()               the number of ARGs
//      wee_test_arg_read(i, ptr, cap)     copy ARG i if it fits in cap bytes;
//                                         returns its length in bytes
//      wee_test_file_read(i, ptr, cap)    copy the file named by ARG i if it
//                                         fits; returns its size, -1 when it
//                                         cannot be read
//      wee_test_exit(status)              end the run at once with this status
//    The module may import nothing else: the library needs no host.
//
// A trap (unreachable: wee__fatal, an abort) ends the run with status 134,
// as SIGABRT would natively.

import { readFileSync } from 'node:fs';

// node:wasi prints an ExperimentalWarning on every run; keep the test logs
// for what the tests say, and print every other warning as node would.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

const [file, ...args] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: run-wasm.mjs MODULE [ARG...]\n');
  process.exit(2);
}

const module = await WebAssembly.compile(readFileSync(file));
const imports = WebAssembly.Module.imports(module);

function trapped(err) {
  process.stderr.write(`run-wasm: ${file}: ${err instanceof WebAssembly.RuntimeError ? 'trap' : 'error'}: ${err.message}\n`);
  process.exit(134);
}

if (imports.some((i) => i.module === 'wasi_snapshot_preview1')) {
  const { WASI } = await import('node:wasi');
  const wasi = new WASI({
    version: 'preview1',
    args: [file, ...args],
    env: process.env,
    preopens: { '/': '/' },
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: wasi.wasiImport,
  });
  let status;
  try {
    status = wasi.start(instance);
  } catch (err) {
    trapped(err);
  }
  process.exitCode = status;
} else {
  const encoder = new TextEncoder();
  const argBytes = args.map((a) => encoder.encode(a));
  let memory;
  const bytesAt = (ptr, len) => new Uint8Array(memory.buffer, ptr, len);
  const copyOut = (data, ptr, cap) => {
    if (data.length <= cap) bytesAt(ptr, data.length).set(data);
    return data.length;
  };
  // wee_test_exit unwinds the module's stack with this, not a trap.
  class Exit {
    constructor(status) {
      this.status = status;
    }
  }
  const env = {
    wee_test_exit(status) {
      throw new Exit(status);
    },
    wee_test_write(fd, ptr, len) {
      const out = fd === 2 ? process.stderr : process.stdout;
      out.write(Buffer.from(bytesAt(ptr, len)));
      return len;
    },
    wee_test_arg_count: () => args.length,
    wee_test_arg_read: (i, ptr, cap) => (i < args.length ? copyOut(argBytes[i], ptr, cap) : -1),
    wee_test_file_read(i, ptr, cap) {
      if (i >= args.length) return -1;
      try {
        return copyOut(readFileSync(args[i]), ptr, cap);
      } catch (err) {
        process.stderr.write(`run-wasm: ${args[i]}: ${err.message}\n`);
        return -1;
      }
    },
  };
  const unknown = imports.filter((i) => i.module !== 'env' || !(i.name in env));
  if (unknown.length > 0) {
    process.stderr.write(`run-wasm: ${file} imports what no host gives it: ${unknown.map((i) => `${i.module}.${i.name}`).join(', ')}\n`);
    process.exit(1);
  }
  const instance = await WebAssembly.instantiate(module, { env });
  memory = instance.exports.memory;
  if (typeof instance.exports.wee_test_main !== 'function') {
    process.stderr.write(`run-wasm: ${file} exports no wee_test_main\n`);
    process.exit(1);
  }
  let status;
  try {
    status = instance.exports.wee_test_main();
  } catch (err) {
    if (!(err instanceof Exit)) trapped(err);
    status = err.status;
  }
  process.exitCode = status;
}
