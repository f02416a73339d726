/* what: C server (gcc, pthreads, a thread per connection) whose background thread mallocs and
 * touches 64 KiB every second and never frees it, load or not: 3.75 MiB a minute.
 * behaviour: slow
 * expect: growth
 * accept: growth
 * leak: 3840 KiB per minute
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile last;
static void *drip(void *unused) {
  (void)unused;
  for (;;) {
    char *p = malloc(64 * 1024);
    if (p) memset(p, 1, 64 * 1024);
    last = p;
    sleep(1);
  }
  return NULL;
}
static void on_start(void) {
  pthread_t t;
  pthread_create(&t, NULL, drip, NULL);
}
static void on_connection(void) {}
static void on_close(void) {}
static void on_request(void) {}

/* A thread per connection; requests are GETs without a body, answered with keep-alive. */
static void *serve(void *arg) {
  int fd = (int)(long)arg;
  char buf[8192];
  size_t have = 0;
  on_connection();
  for (;;) {
    ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
    if (n <= 0) break;
    have += (size_t)n;
    buf[have] = 0;
    char *end;
    while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
      int close_after = strstr(buf, "Connection: close") != NULL && strstr(buf, "Connection: close") < end;
      on_request();
      const char *reply = close_after ? "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
                                      : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
      if (write(fd, reply, strlen(reply)) < 0 || close_after) goto done;
      size_t used = (size_t)(end + 4 - buf);
      memmove(buf, buf + used, have - used + 1);
      have -= used;
    }
    if (have == sizeof buf - 1) break;
  }
done:
  on_close();
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 512) < 0) return 1;
  on_start();
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, serve, (void *)(long)c) != 0) close(c);
    pthread_attr_destroy(&attr);
  }
}
