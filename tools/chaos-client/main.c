/* main.c — chaos-client's command line: chaos-client [--host H] [--port P]
 * [--script FILE] [--record FILE] [--speed UNITS_PER_S]. Without --script it
 * runs the full-screen ncurses client. */
#include "tools/chaos-client/client.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: chaos-client [--host HOST] [--port PORT] [--script FILE|-] [--record FILE]\n"
          "                    [--speed UNITS_PER_SECOND]\n"
          "  --script FILE   play the commands of FILE without a terminal; one JSON line per\n"
          "                  frame received on stdout; exit 1 when an /expect or /wait fails,\n"
          "                  2 when the connection is lost, 3 on a bad script line\n"
          "  --record FILE   write every frame sent and received as JSON lines\n"
          "                  {\"dir\":\"out\"|\"in\",\"t\":SECONDS,\"frame\":{…}}\n"
          "  --speed N       walking speed in units/s (default: 0.9 x the speed the server\n"
          "                  tells on entering the world, 5.4 until it does)\n",
          f);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *script = NULL, *record = NULL;
    int port = 7777;
    double speed = 0;
    for (int i = 1; i < argc; i += 2) { /* each option takes one value */
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "chaos-client: %s needs a value (or is unknown)\n", a);
            usage(stderr);
            return 3;
        }
        char *end = NULL;
        if (!strcmp(a, "--host")) {
            host = v;
        } else if (!strcmp(a, "--port")) {
            long p = strtol(v, &end, 10);
            if (*end || p <= 0 || p > 65535) {
                fprintf(stderr, "chaos-client: --port must be 1..65535, not %s\n", v);
                return 3;
            }
            port = (int)p;
        } else if (!strcmp(a, "--script")) {
            script = v;
        } else if (!strcmp(a, "--record")) {
            record = v;
        } else if (!strcmp(a, "--speed")) {
            speed = strtod(v, &end);
            if (*end || !(speed > 0 && speed < 1000)) {
                fprintf(stderr, "chaos-client: --speed must be a number > 0, not %s\n", v);
                return 3;
            }
        } else {
            fprintf(stderr, "chaos-client: unknown option %s\n", a);
            usage(stderr);
            return 3;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    cc_app a;
    if (cc_app_init(&a, host, port, record) != 0) {
        fprintf(stderr, "chaos-client: cannot write %s\n", record);
        cc_app_free(&a);
        return 3;
    }
    if (speed > 0) a.speed = speed;
    int rc = script ? cc_script_run(&a, script) : cc_ui_run(&a);
    cc_app_free(&a);
    return rc;
}
