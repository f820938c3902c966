// The Descent model language. docs/language.md is the user's reference for every construct.
// Newlines are not significant: every statement starts with a keyword or a name followed by `=`,
// so statements delimit themselves; `;` may separate them for readability.
grammar Descent;

program     : modelHeader? statement* EOF ;

modelHeader : MODEL name=ID ;

statement
    : inputDecl                                          # inputStatement
    | varDecl                                            # varStatement
    | outputDecl                                         # outputStatement
    | trainBlock                                         # trainStatement
    | assignment                                         # assignStatement
    | ';'                                                # emptyStatement
    ;

inputDecl   : INPUT name=ID ':' tensorType ;
varDecl     : VAR name=ID ':' tensorType ('=' init=initializer)? attributes? ;
initializer : callee=ID '(' arguments? ')'               # callInitializer
            | '-'? number                                # numberInitializer
            | list                                       # listInitializer
            ;
attributes  : '(' keywordArg (',' keywordArg)* ','? ')' ;
outputDecl  : OUTPUT ID (',' ID)* ;
trainBlock  : TRAIN name=ID '{' trainItem* '}' ;
trainItem   : assignment                                 # trainAssign
            | expr                                       # trainExpr
            | ';'                                        # trainEmpty
            ;
assignment  : targets+=ID (',' targets+=ID)* '=' value=expr ;

tensorType  : DTYPE ('[' (dim (',' dim)*)? ']')? ;
dim         : INT | ID ;

expr
    : expr '.' attr=ID                                   # attrExpr
    | expr '(' arguments? ')'                            # callExpr
    | <assoc=right> expr op='**' expr                    # powExpr
    | op='-' expr                                        # negExpr
    | expr op=('*' | '/' | '@') expr                     # mulExpr
    | expr op=('+' | '-') expr                           # addExpr
    | primary                                            # primaryExpr
    ;

primary
    : number                                             # numberLit
    | STRING                                             # stringLit
    | (TRUE | FALSE)                                     # boolLit
    | NONE                                               # noneLit
    | DTYPE                                              # dtypeLit
    | ID                                                 # nameRef
    | '(' expr ')'                                       # parens
    | '(' (expr ',')+ expr? ')'                          # tuple
    | '[' element=expr FOR (vars=forTargets) IN source=expr ']'   # comprehension
    | list                                               # listLit
    ;

forTargets  : '(' ID ',' ID ')' | ID ',' ID ;
list        : '[' (expr (',' expr)* ','?)? ']' ;
number      : INT | FLOAT ;
arguments   : argument (',' argument)* ','? ;
argument    : keywordArg | expr ;
// TF parameter names such as `input` are Descent keywords; as keyword arguments they are plain names.
keywordArg  : key=(ID | INPUT | OUTPUT | VAR | MODEL | TRAIN) '=' expr ;

MODEL   : 'model' ;
INPUT   : 'input' ;
VAR     : 'var' ;
OUTPUT  : 'output' ;
TRAIN   : 'train' ;
FOR     : 'for' ;
IN      : 'in' ;
TRUE    : 'true' | 'True' ;
FALSE   : 'false' | 'False' ;
NONE    : 'None' ;
DTYPE   : 'f32' | 'f64' | 'i32' | 'i64' ;
ID      : [a-zA-Z_] [a-zA-Z_0-9]* ;
FLOAT   : DIGITS '.' DIGITS? EXPONENT? | '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT     : DIGITS ;
STRING  : '"' (~["\\\r\n] | '\\' .)* '"' | '\'' (~['\\\r\n] | '\\' .)* '\'' ;
fragment DIGITS   : [0-9] ('_'? [0-9])* ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
COMMENT : '#' ~[\r\n]* -> skip ;
WS      : [ \t\r\n]+ -> skip ;
// Anything else is one bad character; the parser reports it with its position.
ERRCHAR : . ;
