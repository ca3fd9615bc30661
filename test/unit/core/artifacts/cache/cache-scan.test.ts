import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanHubCache } from '../../../../../src/main/core/artifacts/cache/cache-scan.js';
import { scanLocalFolder } from '../../../../../src/main/core/artifacts/cache/local-folders.js';
import { writeCachedFile } from '../../../../../src/devkit/artifacts/hf-cache-writer.js';

const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);
const C3 = 'c'.repeat(40);
const bytes = (text: string, n = 1): Uint8Array => new TextEncoder().encode(text.repeat(n));
const TOKENIZER = bytes('{"model":{"type":"WordPiece"}}');

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mb-scan-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('scanHubCache over a cache written the way huggingface_hub writes it', () => {
  it('lists repos, revisions with refs, ONNX models with their tokenizer, and counts shared blobs once', async () => {
    const repo = 'sentence-transformers/all-MiniLM-L6-v2';
    await writeCachedFile(root, repo, C1, 'onnx/model.onnx', bytes('m1', 500), { revision: 'main' });
    await writeCachedFile(root, repo, C1, 'tokenizer.json', TOKENIZER);
    await writeCachedFile(root, repo, C1, 'config.json', bytes('{}'), { etag: 'git' });
    await writeCachedFile(root, repo, C1, '1_Pooling/config.json', bytes('{"pooling_mode_cls_token": true}'), { etag: 'git' });
    await writeCachedFile(root, repo, C1, 'pytorch_model.bin', bytes('w', 100));
    // An older revision shares the tokenizer blob.
    await writeCachedFile(root, repo, C2, 'onnx/model.onnx', bytes('m2', 400), { revision: 'v1' });
    await writeCachedFile(root, repo, C2, 'tokenizer.json', TOKENIZER);

    const scan = await scanHubCache(root);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos).toHaveLength(1);
    const r = scan.repos[0]!;
    expect(r.repo).toBe(repo);
    expect(r.folder).toBe('models--sentence-transformers--all-MiniLM-L6-v2');
    const blobBytes = 1000 + TOKENIZER.length + 2 + 32 + 100 + 800;
    expect(r.sizeOnDisk).toBe(blobBytes);
    expect(scan.totalBytes).toBe(blobBytes);
    expect(r.revisions.map((v) => [v.commit, v.refs, v.complete]).sort()).toEqual([[C1, ['main'], true], [C2, ['v1'], true]]);
    const rev1 = r.revisions.find((v) => v.commit === C1)!;
    expect(rev1.files.map((f) => [f.path, f.kind])).toEqual([
      ['1_Pooling/config.json', 'link'], ['config.json', 'link'], ['onnx/model.onnx', 'link'], ['pytorch_model.bin', 'link'], ['tokenizer.json', 'link'],
    ]);
    expect(rev1.sizeOnDisk).toBe(1000 + TOKENIZER.length + 2 + 32 + 100);

    expect(scan.models).toHaveLength(2);
    const m1 = scan.models.find((m) => m.commit === C1)!;
    expect(m1).toMatchObject({
      id: `hf:${repo}@${C1}:onnx/model.onnx`, origin: 'hf-cache', repo, model: 'onnx/model.onnx', tokenizer: 'tokenizer.json',
      config: 'config.json', pooling: 'cls', externalData: [], bytes: 1000 + TOKENIZER.length, complete: true, problems: [],
    });
  });

  it('reads a cache without refs/ and one with copies instead of links', async () => {
    await writeCachedFile(root, 'org/no-refs', C1, 'model.onnx', bytes('x', 64));
    await writeCachedFile(root, 'org/no-refs', C1, 'tokenizer.json', TOKENIZER);
    await writeCachedFile(root, 'org/copies', C3, 'model.onnx', bytes('y', 50), { copy: true, revision: 'main' });
    await writeCachedFile(root, 'org/copies', C3, 'model.onnx_data', bytes('z', 70), { copy: true });
    await writeCachedFile(root, 'org/copies', C3, 'tokenizer.json', TOKENIZER, { copy: true });

    const scan = await scanHubCache(root);
    expect(scan.warnings).toEqual([]);
    const noRefs = scan.repos.find((r) => r.repo === 'org/no-refs')!;
    expect(noRefs.revisions).toMatchObject([{ commit: C1, refs: [], complete: true }]);
    const copies = scan.repos.find((r) => r.repo === 'org/copies')!;
    expect(copies.sizeOnDisk).toBe(50 + 70 + TOKENIZER.length);
    expect(copies.revisions[0]!.files.every((f) => f.kind === 'copy')).toBe(true);
    const m = scan.models.find((x) => x.repo === 'org/copies')!;
    expect(m).toMatchObject({ externalData: ['model.onnx_data'], bytes: 50 + 70 + TOKENIZER.length, complete: true });
    expect(scan.models.find((x) => x.repo === 'org/no-refs')).toMatchObject({ commit: C1, complete: true });
  });

  it('turns a foreign cache\'s oddities into one warning per repo and goes on', async () => {
    // A dangling link: the blob was deleted by hand; and a partial download in blobs/.
    const broken = await writeCachedFile(root, 'org/broken', C1, 'model.onnx', bytes('b', 10), { revision: 'main' });
    await writeCachedFile(root, 'org/broken', C1, 'tokenizer.json', TOKENIZER);
    await rm(broken.blobPath);
    await writeFile(join(root, 'models--org--broken', 'blobs', `${'e'.repeat(64)}.incomplete`), bytes('p', 33));
    // A ref that is not a commit, one to a missing snapshot and a snapshot that is not a commit.
    await mkdir(join(root, 'models--org--odd', 'refs'), { recursive: true });
    await writeFile(join(root, 'models--org--odd', 'refs', 'main'), 'not-a-commit');
    await writeFile(join(root, 'models--org--odd', 'refs', 'v2'), C2);
    await mkdir(join(root, 'models--org--odd', 'snapshots', 'temp'), { recursive: true });
    // A repository whose folder is a file, one without owner, and things that are not repositories.
    await writeFile(join(root, 'models--org--file'), 'x');
    await writeCachedFile(root, 'org/x', C1, 'model.onnx', bytes('g', 10));
    await writeCachedFile(root, 'org/x', C1, 'tokenizer.json', TOKENIZER);
    await mkdir(join(root, 'models--gpt2'), { recursive: true });
    await symlink(join(root, 'models--org--x'), join(root, 'models--gpt2', 'snapshots'));
    await mkdir(join(root, '.locks', 'models--org--x'), { recursive: true });
    await writeFile(join(root, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55');
    await mkdir(join(root, 'datasets--org--d', 'snapshots'), { recursive: true });

    const scan = await scanHubCache(root);
    expect(scan.repos.map((r) => r.repo)).toEqual(['gpt2', 'org/broken', 'org/odd', 'org/x']);
    const b = scan.repos.find((r) => r.repo === 'org/broken')!;
    expect(b.partialFiles).toBe(1);
    expect(b.sizeOnDisk).toBe(TOKENIZER.length + 33);
    expect(b.revisions[0]).toMatchObject({ commit: C1, refs: ['main'], complete: false });
    expect(b.warnings).toEqual([expect.stringContaining('1 dangling link (model.onnx)')]);
    expect(scan.models.find((m) => m.repo === 'org/broken')).toMatchObject({ complete: false, problems: ['model.onnx is a dangling link (its blob is missing)'] });
    const odd = scan.repos.find((r) => r.repo === 'org/odd')!;
    expect(odd.warnings).toEqual(expect.arrayContaining([
      'refs/main does not hold a commit hash', 'snapshots/temp is not named by a commit: skipped', expect.stringContaining('refs v2 point to bbbbbbbbbbbb'),
    ]));
    expect(scan.models.find((m) => m.repo === 'org/x')).toMatchObject({ complete: true });
    // A repository id without owner is listed, but cannot go in a slot.
    expect(scan.warnings.length).toBeGreaterThanOrEqual(4);
    expect(scan.warnings.every((w) => /^(gpt2|org\/\w+): /.test(w))).toBe(true);
  });
});

describe('scanLocalFolder', () => {
  it('finds an exported model folder and says what is missing from another', async () => {
    const good = join(root, 'export');
    await mkdir(join(good, 'onnx'), { recursive: true });
    await writeFile(join(good, 'onnx', 'model.onnx'), bytes('m', 20));
    await writeFile(join(good, 'tokenizer.json'), TOKENIZER);
    await writeFile(join(good, 'config.json'), '{}');
    const { report, models } = await scanLocalFolder(good);
    expect(report).toEqual({ folder: good, ok: true, warning: null });
    expect(models).toMatchObject([{ id: `local:${good}:onnx/model.onnx`, origin: 'local', folder: good, tokenizer: 'tokenizer.json', config: 'config.json', complete: true }]);

    const noConfig = join(root, 'noconfig');
    await mkdir(noConfig);
    await writeFile(join(noConfig, 'model.onnx'), bytes('m', 20));
    await writeFile(join(noConfig, 'tokenizer.json'), TOKENIZER);
    expect((await scanLocalFolder(noConfig)).models[0]).toMatchObject({ complete: false, problems: ['no config.json beside the model'] });
    const gone = (await scanLocalFolder(join(root, 'gone'))).report;
    expect(gone.ok).toBe(false);
    expect(gone.warning).toContain('ENOENT');
    expect((await scanLocalFolder('relative/path')).report).toMatchObject({ ok: false, warning: 'not an absolute path' });
  });
});
