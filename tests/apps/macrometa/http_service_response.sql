-- http-service-response example 1 (sink/sink-types/http-service-response.md): map.attributes as one list of pairs
CREATE SOURCE AddStream WITH (type='http-service', receiver.url='http://localhost:5005/add', source.id='adder', map.type='json', map.attributes="messageId='trp:messageId',value1='$.event.value1',value2='$.event.value2'") (messageId string, value1 long, value2 long);

CREATE SINK ResultStream WITH (type='http-service-response', source.id='adder', message.id='{{messageId}}', map.type='json') (messageId string, results long);

@info(name = 'query1')
from AddStream
select messageId, value1 + value2 as results
insert into ResultStream;
