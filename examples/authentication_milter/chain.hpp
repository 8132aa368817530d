// The handler chain of the full daemon: every handler this build offers, in the order the Perl
// tool runs them (trust handlers first; checks; DMARC after SPF and DKIM). SenderID is off
// unless configured (historic), like every handler the configuration does not name.
#ifndef AUTHMILTER_EXAMPLES_AUTHENTICATION_MILTER_CHAIN_HPP
#define AUTHMILTER_EXAMPLES_AUTHENTICATION_MILTER_CHAIN_HPP

#include <authmilter/handlers/add_id.hpp>
#include <authmilter/handlers/aligned_from.hpp>
#include <authmilter/handlers/auth.hpp>
#include <authmilter/handlers/dkim.hpp>
#include <authmilter/handlers/dmarc.hpp>
#include <authmilter/handlers/iprev.hpp>
#include <authmilter/handlers/local_ip.hpp>
#include <authmilter/handlers/ptr.hpp>
#include <authmilter/handlers/return_ok.hpp>
#include <authmilter/handlers/sanitize.hpp>
#include <authmilter/handlers/sender_id.hpp>
#include <authmilter/handlers/size.hpp>
#include <authmilter/handlers/spf.hpp>
#include <authmilter/handlers/tls.hpp>
#include <authmilter/handlers/trusted_ip.hpp>
#include <authmilter/pipeline/pipeline.hpp>

namespace authmilter_daemon {

namespace h = authmilter::handlers;

using chain = authmilter::pipeline::pipeline<h::auth_handler, h::local_ip_handler, h::trusted_ip_handler,
                                             h::tls_handler, h::iprev_handler, h::ptr_handler, h::spf_handler,
                                             h::sender_id_handler, h::dkim_handler, h::xgoogle_dkim_handler,
                                             h::dmarc_handler, h::sanitize_handler, h::aligned_from_handler,
                                             h::return_ok_handler, h::add_id_handler, h::size_handler>;

} // namespace authmilter_daemon

#endif
