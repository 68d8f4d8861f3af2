// CLineEdit: GNU readline driven from a poll loop, so that a Ctrl-C at the
// prompt clears the line instead of killing the session.
#ifndef LINE_EDIT_H
#define LINE_EDIT_H

// Returns a NULL-terminated, malloc'd array of malloc'd candidates for the
// word that ends at the cursor, or NULL. `line` is the text before the cursor.
typedef char **(*le_complete_fn)(const char *line);

void le_init(const char *app_name, le_complete_fn complete);

// Reads one line (malloc'd, without newline). Returns NULL at end of input,
// or with *interrupted = 1 when `stop_fd` became readable (Ctrl-C).
char *le_readline(const char *prompt, int stop_fd, int *interrupted);

void le_history_load(const char *path);
// Adds a line to history and appends it to `path` at once, so a crash keeps it;
// with `path` NULL, only to the history in memory.
void le_history_add(const char *line, const char *path);
// Caps the file at `max` lines.
void le_history_truncate(const char *path, int max);

#endif
