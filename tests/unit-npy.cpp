// NumPy .npy files: round trips of every dtype, files written by numpy itself, and clean errors on bad files.
#include "test_support.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

TEST_CASE("npy: write then read gives the same tensor, for every dtype and rank") {
    gearc_test::temp_dir dir("npy");
    std::vector<gearc::tensor> ts{gearc::tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, 6}), gearc::tensor::from<double>({3}, {1.5, -2, 1e300}),
                                  gearc::tensor::from<std::int64_t>({}, {-7}), gearc::tensor::from<std::int32_t>({1, 1, 2}, {3, 4}),
                                  gearc::tensor::from<bool>({4}, {true, false, true, true}), gearc::tensor::from<std::uint8_t>({0, 5}, {})};
    for (std::size_t i = 0; i < ts.size(); ++i) {
        const auto p = dir.file("t" + std::to_string(i) + ".npy");
        gearc::write_npy(p, ts[i]);
        auto back = gearc::read_npy(p);
        CHECK(back.type() == ts[i].type());
        CHECK(back.sizes() == ts[i].sizes());
        CHECK(back.checksum() == ts[i].checksum());
    }
}

TEST_CASE("npy: to_npy_bytes is what write_npy writes; a dtype .npy cannot hold is GC1001 naming it") {
    gearc_test::temp_dir dir("npy_bytes");
    const auto t = gearc::tensor::from<float>({2, 2}, {1, 2, 3, 4});
    const auto bytes = gearc::to_npy_bytes(t);
    CHECK(bytes.size() % 64 == 16);  // the header pads the data to 64 bytes
    CHECK(bytes.substr(0, 6) == "\x93NUMPY");
    gearc::write_npy(dir.file("t.npy"), t);
    std::ifstream in(dir.file("t.npy"), std::ios::binary);
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(file == bytes);
    const gearc::tensor bf(gearc::dtype::bfloat16, {1}, gearc::buffer::copy_of("\0\0", 2));
    try {
        (void)gearc::to_npy_bytes(bf, "out/y.npy");
        FAIL("no error");
    } catch (const gearc::error& e) {
        CHECK(e.code() == "GC1001");
        CHECK(std::string(e.what()).find("out/y.npy") != std::string::npos);
    }
}

TEST_CASE("npy: files written by numpy are read, and numpy reads gearc's") {
    gearc_test::temp_dir dir("npy");
    const std::string script = "import numpy as np, sys\n"
                               "np.save(sys.argv[1] + '/a.npy', np.arange(24, dtype=np.float32).reshape(2, 3, 4))\n"
                               "np.save(sys.argv[1] + '/b.npy', np.array([[True, False]]))\n"
                               "np.save(sys.argv[1] + '/c.npy', np.int64(5))\n";
    std::ofstream(dir.file("w.py")) << script;
    REQUIRE(std::system(("/usr/bin/python3 " + dir.file("w.py") + " " + dir.path.string()).c_str()) == 0);
    auto a = gearc::read_npy(dir.file("a.npy"));
    CHECK(a.sizes() == std::vector<std::int64_t>{2, 3, 4});
    CHECK(a.view<float>()[23] == 23.0f);
    auto b = gearc::read_npy(dir.file("b.npy"));
    CHECK(b.type() == gearc::dtype::boolean);
    CHECK(b.sizes() == std::vector<std::int64_t>{1, 2});
    auto c = gearc::read_npy(dir.file("c.npy"));
    CHECK(c.sizes().empty());
    CHECK(c.view<std::int64_t>()[0] == 5);
    gearc::write_npy(dir.file("g.npy"), gearc::tensor::from<float>({2, 2}, {1, 2, 3, 4}));
    std::ofstream(dir.file("r.py")) << "import numpy as np, sys\nx = np.load(sys.argv[1])\nassert x.shape == (2, 2) and x.dtype == np.float32 and x[1, 1] == 4\n";
    CHECK(std::system(("/usr/bin/python3 " + dir.file("r.py") + " " + dir.file("g.npy")).c_str()) == 0);
}

TEST_CASE("npy: bad files are GC1001 naming the file and the problem") {
    gearc_test::temp_dir dir("npy");
    auto bad = [&](const std::string& bytes) {
        std::ofstream(dir.file("x.npy"), std::ios::binary) << bytes;
        return gearc_test::any_error_of([&] { (void)gearc::read_npy(dir.file("x.npy")); });
    };
    CHECK(bad("hello").find("GC1001: '") == 0);
    CHECK(bad("hello").find("does not start with") != std::string::npos);
    gearc::write_npy(dir.file("ok.npy"), gearc::tensor::from<float>({4}, {1, 2, 3, 4}));
    std::ifstream in(dir.file("ok.npy"), std::ios::binary);
    std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bad(whole.substr(0, whole.size() - 3)).find("needs 16") != std::string::npos);
    std::string complex_header = whole;
    complex_header.replace(complex_header.find("<f4"), 3, "<c8");
    CHECK(bad(complex_header).find("dtype '<c8' is not supported") != std::string::npos);
    CHECK(gearc_test::any_code_of([&] { (void)gearc::read_npy(dir.file("missing.npy")); }) == "GC1001");
}
