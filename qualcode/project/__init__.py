"""A study's content in the database: documents and their import (`documents`), participants
and attributes (`participants`), document groups (`groups`), the code tree (`codes`), codings
(`codings`, `coding_sheet`) and the shipped sample project (`sample`)."""
