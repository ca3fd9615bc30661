/**
 * The two Python-backend steps of a text model's Triton ensemble: the tokenizer (text in,
 * token ids out, with the slot's own tokenizer.json through the `tokenizers` library) and
 * the pooling (token states in, the vector Modelbay's /v1 returns out: mean over real
 * tokens, the CLS token, per-token vectors, SPLADE term weights, or an already pooled
 * output re-normalised). Their settings come from the model config's `parameters`.
 */

export const TOKENIZER_MODEL_PY = `# Tokenizer step of a Modelbay export: TEXT (bytes) -> input_ids, attention_mask, token_type_ids.
# Needs the \`tokenizers\` package in the Triton image (pip install tokenizers).
import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils
from tokenizers import Tokenizer


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = config.get("parameters", {})
        self.max_length = int(params.get("max_sequence_length", {}).get("string_value", "512"))
        here = os.path.dirname(os.path.abspath(__file__))
        self.tokenizer = Tokenizer.from_file(os.path.join(here, "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_length)
        self.pad_id = self.tokenizer.token_to_id("[PAD]")
        if self.pad_id is None:
            self.pad_id = self.tokenizer.token_to_id("<pad>") or 0

    def execute(self, requests):
        responses = []
        for request in requests:
            raw = pb_utils.get_input_tensor_by_name(request, "TEXT").as_numpy().reshape(-1)
            texts = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in raw]
            encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
            length = max(1, max(len(e.ids) for e in encodings))
            ids = np.full((len(texts), length), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(texts), length), dtype=np.int64)
            types = np.zeros((len(texts), length), dtype=np.int64)
            for row, e in enumerate(encodings):
                n = len(e.ids)
                ids[row, :n] = e.ids
                mask[row, :n] = 1
                types[row, :n] = e.type_ids
            responses.append(pb_utils.InferenceResponse(output_tensors=[
                pb_utils.Tensor("input_ids", ids),
                pb_utils.Tensor("attention_mask", mask),
                pb_utils.Tensor("token_type_ids", types),
            ]))
        return responses
`;

export const POOLING_MODEL_PY = `# Pooling step of a Modelbay export: STATES + attention_mask -> EMBEDDING, as Modelbay's /v1 computes it.
# parameters.pooling: mean | cls | tokens | splade | pooled
import json

import numpy as np
import triton_python_backend_utils as pb_utils


def l2(v, axis=-1):
    return v / np.maximum(np.linalg.norm(v, axis=axis, keepdims=True), 1e-12)


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.mode = config["parameters"]["pooling"]["string_value"]

    def execute(self, requests):
        responses = []
        for request in requests:
            states = pb_utils.get_input_tensor_by_name(request, "STATES").as_numpy().astype(np.float32)
            mask = pb_utils.get_input_tensor_by_name(request, "attention_mask").as_numpy().astype(np.float32)
            if self.mode == "pooled":
                out = l2(states)
            elif self.mode == "cls":
                out = l2(states[:, 0, :])
            elif self.mode == "mean":
                summed = (states * mask[:, :, None]).sum(axis=1)
                out = l2(summed / np.maximum(mask.sum(axis=1, keepdims=True), 1.0))
            elif self.mode == "splade":
                weights = np.log1p(np.maximum(states, 0.0)) * mask[:, :, None]
                out = weights.max(axis=1)
            else:  # tokens: one normalised vector per real token, padding rows zero
                out = l2(states) * mask[:, :, None]
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("EMBEDDING", out.astype(np.float32))]))
        return responses
`;
