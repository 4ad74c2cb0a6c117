// Must not compile: internal headers refuse direct inclusion.
#include <gearc/detail/mapped_file.hpp>
int main() { return 0; }
