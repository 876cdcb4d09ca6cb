"""The workflow engine: BPMN definitions, instances, human tasks, history.

Knows nothing of Flask; the web layer, the scheduler and the CLI call into it.
"""
