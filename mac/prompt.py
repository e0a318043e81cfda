"""The one prompt layout every mode shares; the bundle manifest carries it to the service.

    [context turn: the passages, or the memory's key/values standing in for them]
    [answer form: four question/answer turns from the SQuAD training set]
    [the question's turn] -> the LM answers

The answer form (short spans, no sentences) comes from the four example turns, for every mode alike, so
the memory is judged on content alone. The context turn leads because the memory is this same turn's
key/value cache: a passage in the prompt and a passage in memory sit at the same place.
"""

CONTEXT = "<|im_start|>system\nContext:\n{passages}<|im_end|>\n"
PASSAGE_SEPARATOR = "\n\n"
QUESTION_TURN = "<|im_start|>user\nQuestion: {question}\nAnswer briefly.<|im_end|>\n<|im_start|>assistant\n"
ANSWER_SUFFIX = "<|im_end|>"
STOP_TOKENS = ["<|im_end|>", "<|endoftext|>"]
# Answer-form examples: SQuAD 1.1 training questions (articles 2008_Sichuan_earthquake,
# Dissolution_of_the_Soviet_Union, Charleston,_South_Carolina, Communications_in_Somalia), one answer type each.
SHOTS = [("In what year did the earthquake in Sichuan occur?", "2008"),
         ("Which country took over the Soviet Union's UN membership?", "Russia"),
         ("What lucrative trade contributed greatly to Charles Town's growth?", "slave trade"),
         ("What airport is home to the Emirates post mail hub?", "Dubai International")]
FORM = "".join(QUESTION_TURN.format(question=q) + a + ANSWER_SUFFIX + "\n" for q, a in SHOTS)
TEMPLATE = "{context}" + FORM + QUESTION_TURN


def context_turn(passages: list[str]) -> str:
    return CONTEXT.format(passages=PASSAGE_SEPARATOR.join(passages))


def build_prompt(question: str, passages: list[str] | None = None) -> str:
    context = context_turn(passages) if passages else ""
    return TEMPLATE.replace("{context}", context).replace("{question}", question.strip())
