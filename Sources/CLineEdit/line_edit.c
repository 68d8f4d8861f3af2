#include "line_edit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <readline/readline.h>
#include <readline/history.h>

static le_complete_fn g_complete;
static char **g_matches;
static int g_next;

// readline asks one match at a time; we compute them all at state 0.
static char *generate(const char *text, int state) {
    (void)text;
    if (state == 0) {
        free(g_matches);
        g_next = 0;
        char *line = strndup(rl_line_buffer, (size_t)rl_point);
        g_matches = line && g_complete ? g_complete(line) : NULL;
        free(line);
    }
    if (g_matches == NULL || g_matches[g_next] == NULL) {
        free(g_matches);
        g_matches = NULL;
        return NULL;
    }
    return g_matches[g_next++];  // readline frees it
}

static char **attempt(const char *text, int start, int end) {
    (void)start; (void)end;
    rl_attempted_completion_over = 1;  // never fall back to file names
    rl_completion_append_character = '\0';
    return rl_completion_matches(text, generate);
}

void le_init(const char *app_name, le_complete_fn complete) {
    g_complete = complete;
    rl_readline_name = app_name;
    rl_catch_signals = 0;  // our own handler wakes the poll loop
    rl_catch_sigwinch = 1;
    // '.' and ':' stay inside a word so "lab.ne" and "s:up" complete whole;
    // ')' ends one, so `f(x):m` completes ":m" (and a '"' before the ')' is
    // not taken for an open quote to close). labsh.complete knows this list.
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(),+-*/%^~#[]!";
    rl_attempted_completion_function = attempt;
}

static char *g_line;
static int g_done;

static void on_line(char *line) {
    g_line = line;
    g_done = 1;
    rl_callback_handler_remove();
}

char *le_readline(const char *prompt, int stop_fd, int *interrupted) {
    *interrupted = 0;
    g_line = NULL;
    g_done = 0;
    rl_callback_handler_install(prompt, on_line);
    while (!g_done) {
        struct pollfd fds[2] = {
            {.fd = fileno(rl_instream ? rl_instream : stdin), .events = POLLIN},
            {.fd = stop_fd, .events = POLLIN},
        };
        int n = poll(fds, stop_fd >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (stop_fd >= 0 && (fds[1].revents & POLLIN)) {
            char buf[64];
            while (read(stop_fd, buf, sizeof buf) > 0) {}
            // Like a shell: show ^C, drop the line, fresh prompt.
            rl_point = rl_end;
            rl_redisplay();
            fputs("^C", rl_outstream ? rl_outstream : stdout);
            rl_free_line_state();
            rl_replace_line("", 0);
            rl_crlf();
            rl_callback_handler_remove();
            *interrupted = 1;
            return NULL;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) rl_callback_read_char();
    }
    return g_line;
}

void le_history_load(const char *path) {
    using_history();
    read_history(path);
}

void le_history_add(const char *line, const char *path) {
    if (line[0] == '\0') return;
    add_history(line);
    if (path == NULL) return;  // the caller keeps the file (labsh's Shell/History.swift)
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);  // append_history needs the file
    if (fd >= 0) close(fd);
    append_history(1, path);
}

void le_history_truncate(const char *path, int max) {
    history_truncate_file(path, max);
}
