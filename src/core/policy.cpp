#include "policy.h"

namespace edge_auth {

namespace {

bool any_empty(const std::vector<std::string> &v)
{
    for (const std::string &s : v) {
        if (s.empty()) {
            return true;
        }
    }
    return false;
}

} // namespace

std::unique_ptr<Policy> Policy::create(const PolicyConfig &conf, std::string &err)
{
    err.clear();
    if (conf.algorithms == 0) {
        err = "the algorithm allow-list is empty";
        return nullptr;
    }
    if (conf.algorithms & ~kAllAlgBits) {
        err = "the algorithm allow-list has unknown bits";
        return nullptr;
    }
    if (conf.leeway < 0 || conf.leeway > kMaxLeeway) {
        err = "leeway must be between 0 and 3600 seconds";
        return nullptr;
    }
    if (conf.max_token_size == 0 || conf.max_token_size > kMaxTokenSizeCap) {
        err = "max token size must be between 1 byte and 1 MiB";
        return nullptr;
    }
    if (any_empty(conf.issuers)) {
        err = "an accepted issuer is empty";
        return nullptr;
    }
    if (any_empty(conf.audiences)) {
        err = "an accepted audience is empty";
        return nullptr;
    }
    if (any_empty(conf.types)) {
        err = "an accepted typ is empty";
        return nullptr;
    }

    std::unique_ptr<Policy> p(new Policy());
    p->algorithms_ = conf.algorithms;
    p->max_token_size_ = conf.max_token_size;
    p->rules_.issuers = conf.issuers;
    p->rules_.audiences = conf.audiences;
    for (const std::string &t : conf.types) {
        std::string norm = normalize_typ(t);
        if (norm.empty()) {
            err = "an accepted typ is only \"application/\"";
            return nullptr;
        }
        p->rules_.types.push_back(std::move(norm));
    }
    p->rules_.leeway = conf.leeway;
    p->rules_.require_exp = conf.require_exp;
    return p;
}

} // namespace edge_auth
