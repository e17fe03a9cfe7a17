#include "app/cli.h"

int main(int argc, char** argv) {
    return kmirror::app::main(argc, argv);
}
