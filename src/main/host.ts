// Session host entry: one process per compute device holds that device's onnxruntime
// sessions. Filled in by the runtime (src/main/core/runtime).
process.stdout.write('modelbay session host: not implemented yet\n');
