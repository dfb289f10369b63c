"""Language runtimes built once and shared by every function written in that language."""
