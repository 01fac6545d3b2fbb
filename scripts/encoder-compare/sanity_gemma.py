"""Check the gemma load reproduces the model card example: expect [[0.3011, 0.6359, 0.4930, 0.4889]]."""
import os
import torch; torch.set_num_threads(2)
from sentence_transformers import SentenceTransformer
m = SentenceTransformer(os.environ["GEMMA_DIR"], device="cpu")
q = m.encode_query("Which planet is known as the Red Planet?")
d = m.encode_document(["Venus is often called Earth's twin because of its similar size and proximity.",
    "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
    "Jupiter, the largest planet in our solar system, has a prominent red spot.",
    "Saturn, famous for its rings, is sometimes mistaken for the Red Planet."])
print(m.similarity(q, d)); print(m)
