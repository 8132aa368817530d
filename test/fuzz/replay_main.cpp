// Replays fuzz corpus files through a target's LLVMFuzzerTestOneInput without libFuzzer, so
// that the ordinary (g++, ASan) test build runs every corpus entry as a regression test.
// Usage: replay <file-or-directory>...
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

namespace {

int
replay(std::filesystem::path const& file)
{
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<std::uint8_t const*>(bytes.data()), bytes.size());
    return 1;
}

} // namespace

int
main(int argc, char** argv)
{
    int count = 0;
    for(int i = 1; i < argc; ++i) {
        std::filesystem::path const p(argv[i]);
        if(std::filesystem::is_directory(p)) {
            for(auto const& e : std::filesystem::recursive_directory_iterator(p))
                if(e.is_regular_file())
                    count += replay(e.path());
        } else {
            count += replay(p);
        }
    }
    std::printf("replayed %d inputs\n", count);
    return count > 0 ? 0 : 1;
}
