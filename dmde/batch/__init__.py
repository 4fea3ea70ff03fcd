"""The batch layer: scoring files, ranking and budgeted selection, and the manifests that record
what each run read and wrote.
"""
