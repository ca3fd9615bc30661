/** The README.md written into an exported repository: what is in it and how to serve it. */
import type { ExportedModel, Lockfile } from '../../../shared/layouts/layouts.js';

export interface ReadmeInput {
  target: 'triton' | 'kserve';
  folder: string;
  storageUri: string;
  lock: Lockfile;
  models: ExportedModel[];
  maxBatch: number;
  gpuResources: Record<string, string>;
}

export function exportReadme(r: ReadmeInput): string {
  const rows = r.models.map((m) => {
    const s = r.lock.slots.find((x) => x.slot === m.slot);
    return `| \`${m.name}\` | ${m.slot}${s?.alias ? ` (${s.alias})` : ''} | ${s ? `${s.repo}@${s.revision.slice(0, 12)}` : ''} | ${s?.device ?? ''} → ${m.instanceKind} | ${m.models.join(', ')} |`;
  });
  const first = r.models[0]?.name ?? 'MODEL';
  const text = r.models.some((m) => m.models.length > 1);
  const lines = [
    `# Modelbay export (${r.target === 'kserve' ? 'Triton model repository + KServe InferenceService' : 'Triton model repository'})`,
    '',
    `Written by Modelbay ${r.lock.modelbay} from the layout locked in \`modelbay.lock.json\` (${r.lock.createdAt}).`,
    'Every model file here is the exact bytes that lockfile names (sha256 checked before the export).',
    '',
    '| Model to call | Slot | Repository@commit | Device | Models in the repository |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    text
      ? 'A text model is an **ensemble**: `<name>-tokenize` (Python backend, the slot\'s tokenizer.json) → `<name>-onnx` (ONNX Runtime) → `<name>-pool` (Python backend: the pooling and L2 normalisation Modelbay\'s `/v1` applies). Send text, get the same vector as Modelbay. The Python steps need the `tokenizers` and `numpy` packages in the Triton image.'
      : '',
    '',
    '## Run it with Triton',
    '',
    '```sh',
    'tritonserver --model-repository=DIR',
    '# or in NVIDIA\'s container (the Python steps need `tokenizers`):',
    'docker run --gpus all --rm -p 8000:8000 -p 8001:8001 -p 8002:8002 -v "$PWD":/models \\',
    '  nvcr.io/nvidia/tritonserver:24.08-py3 \\',
    '  bash -c "pip install tokenizers && tritonserver --model-repository=/models"',
    '```',
    '',
    'where `DIR` is this folder. Then, over Triton\'s HTTP API (KServe\'s v2 protocol):',
    '',
    '```sh',
    `curl -s localhost:8000/v2/models/${first}/infer -H 'Content-Type: application/json' \\`,
    `  -d '{"inputs":[{"name":"TEXT","shape":[1,1],"datatype":"BYTES","data":["hello world"]}]}'`,
    '```',
    '',
    `Each ONNX model batches up to ${r.maxBatch} requests (\`dynamic_batching\`). \`instance_group\` puts it on the GPU the slot used (\`gpus: [N]\` is the GPU index on the serving machine) or on the CPU. A slot on a MIG instance is placed on its parent GPU's index: start Triton with \`CUDA_VISIBLE_DEVICES=<MIG UUID>\` to use the instance itself.`,
  ];
  if (r.target === 'kserve') {
    const gpus = Object.entries(r.gpuResources).map(([k, v]) => `\`${k}: "${v}"\``).join(', ') || 'none (CPU only)';
    lines.push(
      '',
      '## Run it on KServe',
      '',
      `\`inferenceservice.yaml\` is a \`serving.kserve.io/v1beta1\` InferenceService named \`${r.folder}\`: \`modelFormat: triton\`, \`protocolVersion: v2\`, \`storageUri: ${r.storageUri}\`, GPU resources ${gpus}. KServe's \`kserve-tritonserver\` runtime serves it; inside the pod the granted GPUs are numbered from 0, and the configs use that numbering.`,
      '',
      r.storageUri.startsWith('pvc://')
        ? `The storage URI \`${r.storageUri}\` means: the PersistentVolumeClaim \`${r.storageUri.slice('pvc://'.length).split('/')[0] ?? ''}\` in the InferenceService's namespace, folder \`${r.storageUri.slice('pvc://'.length).split('/').slice(1).join('/')}\` inside it. Copy this folder there (for example with a pod that mounts the claim and \`kubectl cp\`), or export again with \`--storage-uri s3://bucket/path\` after uploading it to object storage.`
        : `Upload this folder to \`${r.storageUri}\` so that the config folders are at its top level.`,
      '',
      '```sh',
      'kubectl apply --dry-run=client --validate=strict -f inferenceservice.yaml   # checks the fields against the KServe CRD',
      'kubectl apply -f inferenceservice.yaml',
      '```',
      '',
      text ? 'The stock Triton image has no `tokenizers` package: use an image that adds it (`pip install tokenizers`) in a ServingRuntime of your own, or the ensemble\'s tokenizer step will fail to load.' : '',
    );
  }
  return `${lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n')}\n`;
}
