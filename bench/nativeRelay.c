/*
 * A reference point for the shim relay benchmark, not part of the product: the cheapest relay
 * a process can be on Linux. It starts the server on two pipes and moves bytes both ways with
 * splice(2) (no copy through user space), falling back to read/write where splice cannot be used.
 * No framing, no inspection. `node out/bench/shim.js --native` compiles it with `cc` and adds a
 * column, to show how much of the gap to direct is Node's and how much any relay process pays on
 * this machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[65536];

/* Moves what is available from `in` to `out`; returns the byte count, 0 at EOF, -1 on error. */
static ssize_t pump(int in, int out) {
  ssize_t n = splice(in, NULL, out, NULL, 1 << 20, SPLICE_F_MOVE);
  if (n >= 0 || errno != EINVAL) {
    return n;
  }
  n = read(in, buf, sizeof buf);
  for (ssize_t off = 0; n > 0 && off < n;) {
    ssize_t w = write(out, buf + off, (size_t)(n - off));
    if (w < 0) {
      return -1;
    }
    off += w;
  }
  return n;
}

int main(int argc, char **argv) {
  int to_server[2], from_server[2];
  if (argc < 2 || pipe(to_server) != 0 || pipe(from_server) != 0) {
    return 2;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(to_server[0], 0);
    dup2(from_server[1], 1);
    close(to_server[0]);
    close(to_server[1]);
    close(from_server[0]);
    close(from_server[1]);
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  close(to_server[0]);
  close(from_server[1]);
  struct pollfd fds[2] = {{0, POLLIN, 0}, {from_server[0], POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      continue;
    }
    if (fds[0].revents && pump(0, to_server[1]) <= 0) {
      close(to_server[1]);
      fds[0].fd = -1;
    }
    if (fds[1].revents && pump(from_server[0], 1) <= 0) {
      break;
    }
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
