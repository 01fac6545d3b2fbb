"""The official `openai` Python client against a running factcheck server (evidence mode).

Run by tests/openai_client/run.sh, which starts the server and sets FACTCHECK_URL.
"""
import os
import unittest

from openai import OpenAI

QUESTION = "3월 말 기준 소프트뱅크의 현금 보유액과 순자산은 얼마였나?"


def client():
    return OpenAI(base_url=os.environ["FACTCHECK_URL"] + "/v1", api_key="not-needed", max_retries=0)


class OpenAIClientTest(unittest.TestCase):
    def test_models_lists_one_model(self):
        models = client().models.list()
        self.assertEqual(len(models.data), 1)
        self.assertTrue(models.data[0].id)

    def test_normal_completion_carries_citations(self):
        r = client().chat.completions.create(
            model="factcheck",
            messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": QUESTION}],
            temperature=0.2,
        )
        self.assertEqual(r.object, "chat.completion")
        self.assertEqual(r.choices[0].finish_reason, "stop")
        self.assertIn("1,720억 달러", r.choices[0].message.content)
        extra = r.model_extra["factcheck"]
        self.assertFalse(extra["abstained"])
        self.assertEqual(extra["mode"], "extractive")
        self.assertTrue(extra["citations"])
        self.assertEqual(extra["citations"][0]["source"], "000_e75c928bc0077ff5.txt")

    def test_streamed_completion_ends_with_citations(self):
        stream = client().chat.completions.create(
            model="factcheck", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        text, last = "", None
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            last = chunk
        self.assertIn("1,720억 달러", text)
        self.assertEqual(last.choices[0].finish_reason, "stop")
        self.assertTrue(last.model_extra["factcheck"]["citations"])

    def test_out_of_range_numbers_are_rejected(self):
        from openai import UnprocessableEntityError

        with self.assertRaises(UnprocessableEntityError):
            client().chat.completions.create(
                model="factcheck", messages=[{"role": "user", "content": QUESTION}], temperature=5
            )


if __name__ == "__main__":
    unittest.main(verbosity=2)
