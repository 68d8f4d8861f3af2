// A labsh started with LABSH_PARENT_DEATH_SIGNAL=SIG:PPID (lab.job sets it
// for the child that does a job's work) gets signal SIG when its parent
// PPID ends, even by kill -9: the work never outlives the labsh that
// records it. This runs before main (a constructor), so nothing of the
// child runs unwatched; prctl is variadic, which Swift cannot call.
//
// The variable is removed at once: it names this process's parent, not
// the parent of the programs the child starts.
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

__attribute__((constructor)) static void lh_arm_parent_death(void) {
    const char *value = getenv("LABSH_PARENT_DEATH_SIGNAL");
    if (value == NULL) return;
    char *end = NULL;
    long sig = strtol(value, &end, 10);
    long parent = (end != NULL && *end == ':') ? strtol(end + 1, NULL, 10) : 0;
    unsetenv("LABSH_PARENT_DEATH_SIGNAL");
    if (sig <= 0 || sig >= NSIG || parent <= 1) return;
    prctl(PR_SET_PDEATHSIG, (unsigned long)sig);
    // The parent may have ended before prctl: then the signal never comes.
    if (getppid() != (pid_t)parent) raise((int)sig);
}
