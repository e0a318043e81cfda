"""The one prompt template every mode shares; the bundle manifest carries it to the service."""

TEMPLATE = "<|im_start|>user\n{context}Question: {question}\nAnswer briefly.<|im_end|>\n<|im_start|>assistant\n"
CONTEXT = "Context:\n{passages}\n\n"
PASSAGE_SEPARATOR = "\n\n"
ANSWER_SUFFIX = "<|im_end|>"
STOP_TOKENS = ["<|im_end|>", "<|endoftext|>"]


def build_prompt(question: str, passages: list[str] | None = None) -> str:
    context = CONTEXT.format(passages=PASSAGE_SEPARATOR.join(passages)) if passages else ""
    return TEMPLATE.format(context=context, question=question.strip())
