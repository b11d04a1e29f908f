#pragma once

// DSPy's grounded proposer (dspy/propose/*, reference/dspy-miprov2.md §2):
// the signatures it calls, built as prism::Signature objects so the
// ChatAdapter sends the same wire format DSPy sends, and the texts it feeds
// them (examples repr, program code, task demos). MiproV2 drives the calls.
#include "adapter/predict.h"
#include "core/example.h"
#include "core/program.h"
#include "core/signature.h"
#include "lm/lm.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prism {

// DSPy's TIPS table (§2.3), in its key order: none, creative, simple,
// description, high_stakes, persona. The "none" tip's text is empty.
struct ProposerTip {
    const char *key;
    const char *text;
};
const std::vector<ProposerTip> &proposerTips();
// The text of a tip key ("persona"); a text that is no key is used as it is.
std::string tipText(const std::string &keyOrText);

// DSPy's strip_prefix: drops a leading "Label of up to five words:" and then
// double quotes at both ends.
std::string stripPrefix(std::string_view text);

// Python's repr() and str() of a value as DSPy's Example holds it.
std::string pythonRepr(const Value &value);
std::string pythonStr(const Value &value);
// repr(trainset[begin:end]) after DSPy's order_input_keys_in_string:
// [Example({'q': '...', 'a': '7'}) (input_keys={'q'}), ...]
std::string examplesRepr(const std::vector<Example> &examples, std::size_t begin, std::size_t end);

// create_example_string: one "Prefix: value" line per field of the
// predictor's effective signature that the values have (DSPy writes "None"
// for a missing one; Prism leaves the line out).
std::string exampleString(const Predictor &predictor, const Fields &values);
// The task_demos text (§2.5) from demo sets: starting at set `index`, then
// the following sets, then the earlier ones, up to `count` demos; a set's
// bootstrapped demos, or its labeled ones when it has none. "No task demos
// provided." when nothing was gathered or index is 0.
std::string taskDemosText(const Predictor &predictor, const std::vector<std::vector<Demo>> &sets, std::size_t index,
                          std::size_t count = 3);

// get_dspy_source_code for a Prism program: each predictor's signature repr
// (StringSignature(a -> b\n    instructions='...'\n    a = Field(...)\n)),
// and for a pipeline a pseudo forward() that chains the stages. DSPy renders
// nothing for a bare Predict (no Parameter attribute); Prism always shows
// the signature.
std::string programCode(const Program &program);
// "Predict(snippet) -> severity, policy_violations" (effective outputs).
std::string moduleText(const Predictor &predictor);
// The predictor's instruction, or DSPy's default one when it has none.
std::string basicInstruction(const Predictor &predictor);

// The proposer's signatures, exactly as DSPy declares them (all fields str).
Signature datasetDescriptorSignature();
Signature datasetDescriptorWithPriorSignature();
Signature observationSummarizerSignature();
Signature describeProgramSignature();
Signature describeModuleSignature();
// GenerateSingleModuleInstruction with its optional fields (no instruction
// history: MIPROv2 never uses it).
Signature instructionSignature(bool datasetDescription, bool programAware, bool tip);

struct ProposerReply {
    std::string text;           // the output field's value
    std::optional<Error> error; // the call failed; a budget or cancel refusal stops the run
    int lmCalls = 0;
};

// Calls one proposer signature through runPredictor with the ChatAdapter
// (role "proposer", whatever options.role says) and returns its only output.
ProposerReply callProposer(const Signature &signature, const Fields &inputs, Lm &lm, const CallOptions &options);

} // namespace prism
