// Command-line entry: parses the subcommand and hands over to it.
#pragma once

namespace kmirror::app {

int main(int argc, char** argv);

} // namespace kmirror::app
