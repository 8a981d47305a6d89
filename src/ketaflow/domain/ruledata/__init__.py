"""Reading versioned rule data and citing it: shared by every engine (screening, dosing), so all cite alike.

``fields`` reads parsed JSON with errors that name the JSON path; ``rulebasis`` holds the source registry,
confidence tags and the rule basis (id, effect, message template, sources) that findings are built from.
"""
