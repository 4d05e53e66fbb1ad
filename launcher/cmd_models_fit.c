/* halobox models fit: fitetic random-weight models (placeholder until
 * the fitetic writer lands). */
#include "util/common.h"

#include "cmd_models.h"

int cmd_models_fit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "halobox models fit: not built yet\n");
    return EXIT_RUNTIME;
}
