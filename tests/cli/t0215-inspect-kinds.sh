#!/bin/sh
# inspect: the kind of each refusal and the strength of each identity claim.
. "$(dirname "$0")/lib.sh"

test_expect "inspect --format jsonl: refusal kind and claim strength" '
	printf "%s\n" \
		"{\"id\": \"dec\", \"prompt\": \"p\", \"response\": \"I am sorry, but I cannot help with that request.\"}" \
		"{\"id\": \"lec\", \"prompt\": \"p\", \"response\": \"It is not appropriate to ask how to frighten a neighbour.\"}" \
		"{\"id\": \"red\", \"prompt\": \"p\", \"response\": \"Thanks for asking. Instead, I suggest talking to a counsellor.\"}" \
		"{\"id\": \"ok\", \"prompt\": \"p\", \"response\": \"Sure! Here is a poem about the sea.\"}" \
		"{\"id\": \"strong\", \"prompt\": \"p\", \"response\": \"I am ChatGPT, a large language model trained by OpenAI.\"}" \
		"{\"id\": \"weak\", \"prompt\": \"p\", \"response\": \"As an AI language model, I can summarise it for you.\"}" \
		"{\"id\": \"ru\", \"prompt\": \"p\", \"response\": \"Извините, но я не могу помочь с этим.\"}" >k.jsonl &&
	expect_code 0 prov inspect --format jsonl k.jsonl &&
	grep "\"id\":\"dec\"" out | grep -q "\"refusal\":true,\"refusal_style\":\"openai\",\"refusal_kind\":\"decline\"" &&
	grep "\"id\":\"lec\"" out | grep -q "\"refusal_kind\":\"lecture\"" &&
	grep "\"id\":\"red\"" out | grep -q "\"refusal_kind\":\"redirect\"" &&
	grep "\"id\":\"ok\"" out | grep -q "\"refusal\":false,\"refusal_style\":null,\"refusal_kind\":null" &&
	grep "\"id\":\"strong\"" out | grep -q "\"claims\":\"openai\",\"kind\":\"identity\",\"text\":\"I am ChatGPT, a large language model trained by OpenAI.\",\"strength\":\"strong\"" &&
	grep "\"id\":\"weak\"" out | grep -q "\"claims\":\"openai\",\"kind\":\"identity\",\"text\":\"As an AI language model, I can summarise it for you.\",\"strength\":\"weak\"" &&
	grep "\"id\":\"ru\"" out | grep -q "\"refusal_kind\":\"decline\""
'

test_expect "inspect text: refusal kind and claim strength" '
	printf "%s\n" \
		"{\"id\": \"lec\", \"prompt\": \"p\", \"response\": \"It is not appropriate to ask how to frighten a neighbour.\"}" \
		"{\"id\": \"weak\", \"prompt\": \"p\", \"response\": \"As an AI language model, I can summarise it for you.\"}" >k.jsonl &&
	expect_code 0 prov inspect k.jsonl &&
	grep -E "^lec +[0-9]+ +generic \(lecture\) +-$" out &&
	grep -E "^weak +[0-9]+ +- +openai \(identity, weak\)$" out
'
