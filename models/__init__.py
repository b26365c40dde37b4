"""On-device face pipeline on onnxruntime: detection, alignment, quality, embedding, comparison, liveness."""
