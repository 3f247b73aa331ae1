"""Answers and digest summaries phrased by an OpenAI-compatible model, checked in code.

``client`` talks to the model, ``prompt`` builds what it is given, ``grounding`` decides
whether what came back may be shown, ``ask`` and ``summaries`` fall back to the extractive
text whenever it may not. Nothing here runs unless ``AINEWS_LLM_URL`` and
``AINEWS_LLM_MODEL`` are set.
"""
