// An outside program that found authmilter with find_package.
#include <authmilter/core/cidr.hpp>

#include <cstdio>

int
main()
{
    auto const net = authmilter::core::cidr::parse("192.0.2.0/24");
    auto const ip = authmilter::core::ip_address::parse("::ffff:192.0.2.7");
    if(!net || !ip || !net->contains(*ip))
        return 1;
    std::puts("consumer: ok");
    return 0;
}
