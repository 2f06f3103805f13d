import {} from './conditionKeys.js';
export const globalConditionKeys = [
    {
        key: 'aws:PrincipalArn',
        category: 'principal',
        type: 'ARN',
        description: ''
    },
    {
        key: 'aws:PrincipalTag/tag-key',
        category: 'principal',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:SourceIp',
        category: 'network',
        type: 'IPAddress',
        description: ''
    },
    {
        key: 'aws:CurrentTime',
        category: 'request',
        type: 'Date',
        description: ''
    },
    {
        key: 'aws:MultiFactorAuthPresent',
        category: 'session',
        type: 'Bool',
        description: ''
    },
    {
        key: 'aws:TagKeys',
        category: 'request',
        type: 'ArrayOfString',
        description: ''
    },
    {
        key: 'aws:RequestTag/tag-key',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler00',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler01',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler02',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler03',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler04',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler05',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler06',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler07',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler08',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler09',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler10',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler11',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler12',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler13',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler14',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler15',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler16',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler17',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler18',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler19',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler20',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler21',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler22',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler23',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler24',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler25',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler26',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler27',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler28',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler29',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler30',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler31',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler32',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler33',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler34',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler35',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler36',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler37',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler38',
        category: 'request',
        type: 'String',
        description: ''
    },
    {
        key: 'aws:Filler39',
        category: 'request',
        type: 'String',
        description: ''
    }
];
